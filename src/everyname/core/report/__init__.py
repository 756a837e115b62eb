"""The report: one self-contained HTML file, its PDF, and CSV/JSON of every table.

report = build_report(data, filters, estimate=result)      # compute once
html = render_html(report)                                  # write as report.html
pdf = render_pdf(html)                                      # needs weasyprint
write_tables(report, folder)                                # CSV + JSON per table
"""

from everyname.core.report.build import Report, ReportError, build_report
from everyname.core.report.html import render_html
from everyname.core.report.pdf import render_pdf
from everyname.core.report.tables import report_figures, write_tables

__all__ = [
    "Report",
    "ReportError",
    "build_report",
    "render_html",
    "render_pdf",
    "report_figures",
    "write_tables",
]
