"""Pure transforms: XForms to field schemas, submission XML to values. No I/O, no SQL."""
