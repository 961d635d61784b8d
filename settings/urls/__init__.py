"""URL confs, one per deployable. Every deployable serves the same operational endpoints."""
