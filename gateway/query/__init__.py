"""The query layer every report shares: scope, filters, grouping, rollup, ordering,
limits and time zones as data, written into SQL for either engine from allow-listed
expressions and bound values only."""
