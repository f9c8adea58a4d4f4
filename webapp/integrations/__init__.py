"""The outside world behind small interfaces, each with a real and a local implementation."""


def configured_client(config, setting: str, *, in_process, http, default_timeout: float):
    """The client of an outside service named by its settings' prefix (REGISTRY, TRAVEL_BAN):
    HTTP to <prefix>_URL with <prefix>_API_KEY and <prefix>_TIMEOUT when the URL is set; without
    it, the in-process stand-in, in demo mode only: real people are never checked against
    made-up records."""
    url = config.get(f"{setting}_URL")
    if not url:
        if not config.get("DEMO_MODE"):
            raise ValueError(f"{setting}_URL is required outside demo mode")
        return in_process()
    api_key = config.get(f"{setting}_API_KEY")
    if not api_key:
        raise ValueError(f"{setting}_API_KEY is required when {setting}_URL is set")
    return http(url, api_key, float(config.get(f"{setting}_TIMEOUT") or default_timeout))
