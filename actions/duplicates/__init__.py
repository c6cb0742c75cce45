"""Reports of the same problem: nearby open reports offered before filing, and following one."""
