"""Database behaviour beyond Django's: reads routed to a replica, a time limit per statement."""
