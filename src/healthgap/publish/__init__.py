"""Publications: the indicator report (HTML and PDF) and the web API and dashboard."""
