"""Job coaches' groups: the coach's group pages, booking for a member, and members' own first use."""
