"""Scheduling: reception, road movement, rail movement and schedule checks."""
