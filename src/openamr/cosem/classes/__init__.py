"""The COSEM interface classes, one module each (Blue Book 4.3-4.5)."""
