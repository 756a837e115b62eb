"""The public memorial site, written beside the release it shows.

Publishing a site is publishing a release (the same permission, the same audit entry: the site
is made only of the release's public files, so it adds nothing the release did not publish). The
one figure a release's files do not hold is the linkage range of its total (how many persons
there would be if every pair awaiting review were the same person): it is taken here, from the
same count input the release was written from, and only when that is still the release's link
run, so the site never shows another run's range.
"""

from __future__ import annotations

from pathlib import Path

from everyname.core.count import count_persons
from everyname.core.release import ReleaseManifest
from everyname.core.site import SiteError, SiteSummary, build_site
from everyname.store.counting import count_input, gazetteer
from everyname.store.permissions import Actor, Permission, require
from everyname.store.releases import publish_release


def publish_release_with_site(
    actor: Actor, out: str | Path, site: str | Path, withhold: str = "none"
) -> tuple[ReleaseManifest, SiteSummary]:
    """Publish the next release under ``out`` (as :func:`publish_release` does) and write its
    static public site to the new folder ``site``."""
    require(actor, Permission.PUBLISH_RELEASE)
    if Path(site).exists():
        raise SiteError(
            f"{site} already exists: a site is written to a new folder, never over another "
            "(nothing was published)",
            field="site",
        )
    manifest = publish_release(actor, out, withhold)
    data = count_input()
    linkage = None
    if data.link_run == manifest.link_run:
        result = count_persons(data, gazetteer=gazetteer())
        if result.total == manifest.persons:
            linkage = {
                "low": result.total_low,
                "high": result.total,
                "pairs_awaiting_review": result.pairs_awaiting_review,
            }
    return manifest, build_site(manifest.folder, site, linkage)
