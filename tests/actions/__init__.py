"""Tests of the action server code (`actions/`)."""
