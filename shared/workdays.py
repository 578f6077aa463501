"""Dates on the Chinese working-day calendar (statutory holidays off, 调休 make-up days on), from
`chinese-calendar`: public-notice ends (quota) and when a payment is expected (payout).

Counting rule: the notice is published on day P. If P is a working day it is day 1; otherwise day 1
is the first working day after P. The notice runs to the end (24:00 Beijing time) of working day N,
its end date; objections are accepted through that date, and the round may conclude from the next
day on.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar

BEIJING = ZoneInfo("Asia/Shanghai")


class CalendarUnknown(ValueError):
    """The calendar has no data for that year (its holidays are published year by year)."""


def beijing_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(BEIJING).date()


def _is_workday(day: dt.date) -> bool:
    try:
        workday: bool = chinese_calendar.is_workday(day)  # the library is untyped
        return workday
    except NotImplementedError:
        raise CalendarUnknown(
            f"the working-day calendar has no data for {day.year}; update chinese-calendar once the "
            f"State Council publishes that year's holidays"
        ) from None


def notice_end(published_on: dt.date, working_days: int) -> dt.date:
    """The last day of a notice of `working_days` working days published on `published_on`."""
    if working_days < 1:
        raise ValueError("a notice lasts at least one working day")
    day, counted = published_on, 0
    while True:
        if _is_workday(day):
            counted += 1
            if counted == working_days:
                return day
        day += dt.timedelta(days=1)


def notice_is_open(ends_on: dt.date, today: dt.date) -> bool:
    return today <= ends_on


def working_days_after(day: dt.date, working_days: int) -> dt.date:
    """The `working_days`-th working day after `day` (`day` itself never counts): counted from
    Friday 2024-09-27, the 29th (a make-up Sunday), the 30th and 8 October, so 3 gives 2024-10-08."""
    if working_days < 0:
        raise ValueError("a service level is a number of working days, at least 0")
    counted = 0
    while counted < working_days:
        day += dt.timedelta(days=1)
        if _is_workday(day):
            counted += 1
    return day
