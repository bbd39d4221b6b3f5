"""Writing a site and its updates: statusgen init, new and approve, message templates, setup advice."""
