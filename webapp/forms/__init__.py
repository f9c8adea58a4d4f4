"""WTForms classes, one module per area, all on the shared base form."""
