"""Actions on device tokens (public screens, relays): issue one, revoke one."""
