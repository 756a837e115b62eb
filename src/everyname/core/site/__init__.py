"""The public memorial site of a release: static files that need no server.

``build_site(release_folder, out)`` reads **only the public files of a release**
(``persons.csv``, ``places.csv``, ``counts_by_place.csv``, ``manifest.json``, ``METHODOLOGY.md``,
``CHANGES.md``, ``SHA256SUMS``), never the database, so the site cannot hold what the release
withheld (reporter identities, source contacts, national ids, names withheld by ``--withhold``);
and of ``persons.csv`` it keeps only the columns it names (``build.SITE_COLUMNS``).

What is written (English at the root, Arabic, right to left, in ``ar/``):

- ``index.html``: the search; ``figures.html``: the release's figures (its persons by outcome,
  status, sex, age group, cause, corroboration and year, ``unknown`` always listed, its persons
  per governorate from ``counts_by_place.csv``, and the linkage range recorded at publication);
  ``methodology.html``, ``changes.html`` and ``files.html`` (the release's own texts, and every
  file with its SHA-256); ``person.html#<person id>``: one page per person, its released fields.
- ``release/``: the release's files unchanged, so ``sha256sum -c SHA256SUMS`` works there.
- ``figures.json``: the figures the pages show, for other tools.

Why data files are scripts: a page opened from a USB stick (``file://``) may not fetch JSON, but
may load ``<script src>``; each data file is one call of a function of ``assets/site.js``
(``everynameSite.keys(...)``). There is no inline script or style and no other host, so the
site can be served with a strict Content-Security-Policy (``script-src 'self'``).

Why a person page is ``person.html#id`` and not a file per person: 200,000 persons would be
200,000 files per language (a FAT32 stick allocates 32 KB to each, 13 GB in all); instead the
persons are in files of 250 (``data/p/N.js``, sorted by person id, ``data/meta.js`` holding the
first id of each) and the page shows the one its address names.

The name search: at build time every released name is split into name units and each unit given
the cross-script key that ingest stores and the store's name search compares
(``core.names.name_forms(...)["full_key"]``: "محمد الخالدي" and "Mohammed al-Khalidi" are both
``MHMD KLD``). The index is postings ``person * 16 + unit position`` per key, delta-coded, in
shards named by the key's first two letters (``data/k/MH.js``), so a search loads a handful of
files however many persons there are. In the browser ``site.js`` computes the same consonant
skeleton for each typed word (the letter classes and folds of ``core/names/keys.py`` and
``latin.py``), with the alternatives Python's rules choose between (an article or not,
"Abdur" before "Rahman"); the keys the loaded shards hold decide how the typed words group into
name units ("Abd al-Rahman" is one). Like the store's search, every typed unit must be in the
name, in the order typed, other units allowed between. Names whose spelling needs the Python
rules beyond that (typing repairs of garbled PDF extractions) may not be found by typing them.
"""

from everyname.core.site.build import SiteError, SiteSummary, build_site, read_release

__all__ = ["SiteError", "SiteSummary", "build_site", "read_release"]
