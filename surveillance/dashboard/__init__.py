"""The market supervisors' web dashboard: live market, alert queue and workflow, accounts,
audit trail and daily bulletins, served by the exchange at /dashboard/."""

from surveillance.dashboard.day_history import DayHistory
from surveillance.dashboard.router import dashboard_router

__all__ = ["DayHistory", "dashboard_router"]
