"""The exchange core: reference data, order books, the sequencer, its journal and the stream.

Nothing here imports settlement, surveillance or gateway (see architecture.md).
"""
