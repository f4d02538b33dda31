"""The exchange's member application behind the FIX session layer: order entry, execution
reports, FIX market data, the security list, throttles, order views, the bridge to the stream."""
