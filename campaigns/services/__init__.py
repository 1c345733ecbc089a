"""Every state change of the campaigns app, one function per business action."""
