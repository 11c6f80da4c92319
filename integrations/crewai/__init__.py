"""memspan for crewai (``pip install 'memspan[crewai]'``): ``Crew(memory=MemspanMemory(...))``.

Importing this package imports crewai.
"""

from .memory import CrewMemoryError, MemspanMemory

__all__ = ["CrewMemoryError", "MemspanMemory"]
