// Start every GOV.UK Frontend and MoJ Frontend component on the page.
import { initAll as initGovuk } from "../govuk/govuk-frontend.min.js";
import { initAll as initMoj } from "../moj/moj-frontend.min.js";

initGovuk();
initMoj();
