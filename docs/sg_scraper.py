"""sphinx-gallery image scraper for figures made without pyplot (as adjudicate draws them).

The default matplotlib scraper collects pyplot's open figures; adjudicate's figure functions
build ``matplotlib.figure.Figure`` objects directly (no global state), so this scraper
collects the Figures an example block left in its namespace instead.
"""


def _scrape(block, block_vars, gallery_conf):
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    globals_ = block_vars["example_globals"]
    seen = globals_.setdefault("__scraped_figures__", set())
    paths = []
    for value in list(globals_.values()):
        if isinstance(value, Figure) and id(value) not in seen:
            seen.add(id(value))
            path = next(block_vars["image_path_iterator"])
            value.savefig(path, dpi=110)
            paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])


def _get_sg_image_scraper():
    """The hook sphinx-gallery calls for ``image_scrapers = ("sg_scraper",)``."""
    return _scrape
