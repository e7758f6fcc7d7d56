"""Date formats per language (``FORMAT_MODULE_PATH``); a language without a module here, or a
format a module leaves out, is Django's own."""
