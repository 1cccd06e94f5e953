"""Models vidoc trained and ships; each folder's README.md is its model card, with the command that
rebuilt it."""
