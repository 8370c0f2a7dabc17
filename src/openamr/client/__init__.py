"""The asyncio DLMS client: transports to meters and typed calls on top."""
