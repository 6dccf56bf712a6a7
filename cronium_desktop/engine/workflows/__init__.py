"""Workflows (SPEC §5): their definitions (`definitions`), the DAG runs (`service`), graph checks
(`graph`), WORKFLOW nodes (`subworkflows`), past runs (`history`) and the webhook listener."""
