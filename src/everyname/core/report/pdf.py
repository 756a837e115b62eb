"""The PDF of a report: the same HTML, laid out for A4 by WeasyPrint.

WeasyPrint (with Pango) shapes Arabic and lays out right-to-left text, and draws the inline
SVG charts as vectors. It is imported only here, when a PDF is asked for, so the rest of the
report works without it.
"""

from __future__ import annotations

from everyname.core.report.build import ReportError


def render_pdf(html: str) -> bytes:
    """The report's HTML as PDF bytes. Needs ``weasyprint`` (``pip install weasyprint``)."""
    try:
        from weasyprint import HTML
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise ReportError(
            "PDF output needs WeasyPrint: install it with `pip install weasyprint` "
            "(it uses the system's Pango library), or write the report as HTML instead"
        ) from error
    except OSError as error:  # pragma: no cover - Pango missing
        raise ReportError(
            f"WeasyPrint is installed but cannot load its system libraries ({error}); "
            "install Pango (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
        ) from error
    return HTML(string=html, base_url=None).write_pdf()
