"""Sources of EV data, each behind the :class:`~ev_wrapper.sources.base.EvSource` interface."""
