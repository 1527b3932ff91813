//! Error → exit code, decided in one place.
