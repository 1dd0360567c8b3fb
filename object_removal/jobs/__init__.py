"""ModelsLab's queued jobs: submit or resume, poll, collect."""
