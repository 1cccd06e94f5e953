"""The bottom layer: config, errors, records, protocols, text normalisation, the lexicon, files. Imports
nothing of vidoc."""
