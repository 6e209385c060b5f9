"""Bounded contexts (users, monitoring, notifications, team, billing) live here, one app each."""
