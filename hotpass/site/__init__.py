"""The Hotpass web UI: a static site from the files runs already write (``build``) and a
small local server for it (``serve``): see docs/how-to/use-the-web-ui.md."""
