"""movebook: personalized exercise-therapy booklets from patient profiles and a library."""

__version__ = "0.1.0"
