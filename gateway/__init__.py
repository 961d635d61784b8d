"""The gateway: the airline app's API (backend-for-frontend), the only composer of contexts."""
