"""The MT372 twin's rates, demand and billing: a pure, sans-IO library."""
