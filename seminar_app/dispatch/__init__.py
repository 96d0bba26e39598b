"""Lecturer dispatch (講師派遣): companies ask for an in-company seminar by an advisor."""
