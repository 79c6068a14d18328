/** The stylesheets of the detail pages (imported by each page, so components stay importable by tests without a CSS loader). */
import "./detail.css";
import "uplot/dist/uPlot.min.css";
