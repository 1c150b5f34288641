// The API docs page: Swagger UI over the generated description (no inline script: the site's CSP).
window.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("api-docs");
  window.SwaggerUIBundle({
    url: holder.dataset.specUrl,
    domNode: holder,
    deepLinking: true,
    persistAuthorization: false,
  });
});
