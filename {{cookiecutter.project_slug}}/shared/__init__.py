"""Building blocks shared by the bounded contexts in apps/, free of business rules."""
