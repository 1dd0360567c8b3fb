"""Work already paid for, kept on disk: atomic files, results, jobs, originals."""
