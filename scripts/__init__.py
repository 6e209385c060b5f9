"""The maintainers' scripts: the demo and the lock refresher."""
