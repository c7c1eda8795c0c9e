// Kills its thread while being loaded, before any call.
process.exit(3);
