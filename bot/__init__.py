"""Buurtbot core: settings, application factory, i18n, clock, scheduling and domain services."""

__version__ = "0.1.0"
