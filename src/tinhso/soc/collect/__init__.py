"""Log collection for the SOC: parsers and framing of what the receivers read. No Django here."""
