"""Order intake: payloads stored first, spreadsheets read, lines matched to the catalog, orders made."""
