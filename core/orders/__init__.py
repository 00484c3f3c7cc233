"""Orders: codes, the state machine, storage and the services that move orders along."""
