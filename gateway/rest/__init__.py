"""REST for supervisors and the public: the app factory, its routers and who is calling."""
