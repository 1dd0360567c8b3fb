"""Text removal: the interior job per image, compositing its re-render, the handle."""
