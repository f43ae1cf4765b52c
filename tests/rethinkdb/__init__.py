"""Tests of the RethinkDB backend against real servers: processes, crashes, a cluster, snapshots."""
