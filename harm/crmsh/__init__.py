"""The crm shell configuration language: parse, check, assemble and show."""
