// The browser module built from this file: Vue and ODK Web Forms, and one function that
// mounts the form component on an element (the host page, server/console/static/
// web-form.js, calls it). Built by scripts/build-web-forms; never loaded from elsewhere.
import { createApp, h, watch } from "vue";
import { OdkWebForm, POST_SUBMIT__NEW_INSTANCE, webFormsPlugin } from "@getodk/web-forms";

// `locale`: PrimeVue's texts (month and day names, the date format, "Today"...) to
// replace its English ones.
export function mountWebForm(element, props, locale = null) {
  const app = createApp({ render: () => h(OdkWebForm, props) });
  app.use(webFormsPlugin);
  const primevue = app.config.globalProperties.$primevue;
  if (locale && primevue?.config?.locale) Object.assign(primevue.config.locale, locale);
  app.mount(element);
  return app;
}

export { POST_SUBMIT__NEW_INSTANCE, watch };
